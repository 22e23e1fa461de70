"""The demo cases of 江门市市场监督管理局: every action type of Art. 2, every stage of Art. 3, every
origin (application, inspection, real-name complaint, anonymous report, referral, assignment),
the general and the simplified procedure.

Some are complete and correct, so a new user sees what good looks like (signed records, the
approvals, the service receipt, the execution, originals linked); others break one or two rules
on purpose, so the compliance engine has something to show. ``BREACHES`` says which, by case
name, with a short reason (used by the tests, shown nowhere): every case not listed there must
have no finding at all. A rule a demo case cannot break through the services is listed in
``UNBREAKABLE`` with the reason."""

from __future__ import annotations

from dataclasses import dataclass, replace

from lawtrail.domain.parties import PartyInput
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.demo_cases import DemoCase, credit_code, id_number
from lawtrail.services.demo_records import DemoRecord
from lawtrail.services.demo_records_kit import (
    IN_15_DAYS,
    NOW,
    TODAY,
    YESTERDAY,
    approval,
    decision,
    fulfilment,
    general,
    initiation_form,
    inquiry,
    legal_review,
    preservation,
    receipt,
    rights,
    served,
    site,
)


@dataclass(frozen=True)
class Breach:
    """The rules a demo case breaks on purpose, and why (zh, for whoever reads the data)."""

    rules: frozenset[str]
    why: str


def _d(action: str, origin: str, name: str, cause: str, procedure: str = "general", **more: object) -> CaseDetails:
    return CaseDetails(action_type=action, procedure=procedure, origin=origin, name=name, cause=cause,
                       **more)  # type: ignore[arg-type]


def _org(name: str, code: str, rep: str, address: str, phone: str = "") -> PartyInput:
    return PartyInput(kind="legal_person", name=name, id_number=credit_code(code), legal_rep=rep, address=address,
                      phone=phone)


ZF = ("officer", "unithead")  # 执法稽查科: 陈志强 (handler) and 黄伟明 (the unit's head)
TS = ("zhangjunjie", "yuzhenyu")  # 特种设备安全监察科
ZD = ("tanmeiling", "ouyongkang")  # 综合执法支队
SP = ("dengzhihua", "huangxiaofang")  # 食品科's head with 黄晓芳 (李晓婷's certificate is about to expire)
PENALTY_BASIS = "《中华人民共和国行政处罚法》第二十八条及相关法律法规"


def _serve(doc: str, party: PartyInput, server: str) -> DemoRecord:
    relation = "法定代表人" if party.legal_rep else "受送达人本人"
    return served(doc, party.address or "当事人住所", party.legal_rep or party.name, relation, server)


def _serve_in_execution(doc: str, party: PartyInput, server: str) -> DemoRecord:
    """A document served while the case is at execution (a reminder, Art. 29)."""
    return replace(_serve(doc, party, server), made_at="execution")


FOOD = _org("江门市蓬江区鲜味食品商行", "92440703MA4W2K8L1", "李国强", "江门市蓬江区建设三路88号", "0750-3221234")
ADS = _org("江门市华强电器有限公司", "91440700MA51XQ2R3", "黄志华", "江门市江海区高新东路12号")
CHEN = PartyInput(kind="citizen", name="陈某某", id_number=id_number("44070319850612003"),
                  address="江门市蓬江区农林市场12号档", phone="13800138000")
YUELAI = _org("江门市悦来餐饮管理有限公司", "91440703MA4UR7T59", "梁悦", "江门市蓬江区港口路33号")
SHUNDA = _org("江门市顺达物流有限公司", "91440704MA52HY6K2", "区顺达", "江门市江海区五邑路200号")
MAIXIANG = _org("江门市麦香烘焙坊", "92440703MA4X9P2Q7", "麦小梅", "江门市蓬江区胜利路5号")
MEIJIA = _org("江门市新会区美嘉家具有限公司", "91440705MA53KD1W8", "谭美嘉", "江门市新会区会城今古洲路3号")
APO = _org("江门市蓬江区阿婆手工粉作坊", "92440703MA4YB3N20", "何阿婆", "江门市蓬江区堤东路17号")

FOOD_INITIATION = initiation_form(
    "officer", "unithead", "王女士实名投诉该商行销售过期面包，经初步核查属实",
    "江门市蓬江区鲜味食品商行，个体工商户，经营者李国强", ("投诉材料", "已核查获取的证据"), approved=False)

#: The cases loaded first (their numbers and names are the ones earlier versions of the demo had).
FIRST: list[DemoCase] = [
    DemoCase("ZFJCK", _d("penalty", "complaint", "江门市蓬江区鲜味食品商行销售过期食品案", "涉嫌销售超过保质期的食品",
                         complainant_real_name=True, complainant_name="王女士", complainant_contact="13902221234"),
             FOOD, ZF, ("investigation",), emergency="当事人正在转移、销毁涉案过期食品，证据可能灭失，先行启动调查",
             records=(
                 FOOD_INITIATION,
                 inquiry(ZF, "江门市蓬江区建设三路88号", "李国强",
                         "问：货架上保质期至11月20日的面包是否由你店销售？\n答：是，店员没有及时下架。"),
                 site(ZF, "鲜味食品商行仓库", "李国强\n店员小张", "仓库货架发现超过保质期的面包12袋、牛奶6盒", None,
                      photo=False, waiver="执法记录仪JM-ZFJLY-005送修，现场以照片记录（第十四条但书）"))),
    DemoCase("ZFJCK", _d("penalty", "inspection", "江门市华强电器有限公司虚假宣传案",
                         "涉嫌发布虚假广告，宣传产品节能效果不实"),
             ADS, ("unithead", "officer"), ("investigation", "review"), review_pending=True,
             records=(
                 initiation_form("officer", "unithead", "日常监督检查发现当事人网店宣传“节能80%”无依据",
                                 "江门市华强电器有限公司，有限责任公司，法定代表人黄志华", ("监督检查报告",)),
                 inquiry(ZF, "江门市市场监督管理局询问室", "黄志华",
                         "问：宣传页所称“节能80%”有何依据？\n答：依据是厂家口头介绍，没有检测报告。"),
                 rights("officer", "黄志华"),
                 legal_review(),
                 decision("江市监处罚〔2026〕18号", "当事人网店宣传产品“节能80%”无依据",
                          "责令停止发布虚假广告，罚款人民币二万元", "《中华人民共和国广告法》第五十五条"))),
    DemoCase("ZFJCK", _d("penalty", "inspection", "个体户陈某未明码标价案", "现场检查发现所售水果未明码标价",
                         procedure="simplified"),
             CHEN, ("officer", "unithead"), ("review", "service", "execution", "archive"),
             records=(
                 DemoRecord("simplified_record", "review",
                            {"occurred_at": NOW, "conditions": "违法事实确凿，对公民处以二百元以下罚款，有法定依据",
                             "steps": "出示执法证件，告知违法事实、处罚理由和依据，听取陈述申辩，"
                                      "当场填写行政处罚决定书",
                             "statement": "当事人称刚进货尚未标价，无其他申辩",
                             "review": "经复核，申辩理由不成立，不予采纳",
                             "filing": "当场处罚决定书已于当日报所属行政机关备案",
                             "process": "执法人员陈志强、黄伟明现场检查发现水果未明码标价，当场作出警告并罚款五十元",
                             "dispute_prone": True},
                            photo=True, signers=(("officer", "officer"), ("officer", "unithead"), ("party", "陈某某"))),
                 _serve("当场行政处罚决定书", CHEN, "陈志强"))),
    DemoCase("SPK", _d("inspection", "inspection", "江门市悦来餐饮管理有限公司食品安全日常监督检查",
                       "2026年度食品安全日常监督检查"),
             YUELAI, ("officer2", "dengzhihua"), ("investigation", "review", "service"), unsigned_discussion=True,
             records=(initiation_form("officer2", "dengzhihua", "按年度监督检查计划开展日常检查",
                                      "江门市悦来餐饮管理有限公司，法定代表人梁悦", ("监督检查报告",)),)),
    DemoCase("TSK", _d("coercion", "referral", "江门市顺达物流有限公司电梯未经定期检验查封案",
                       "在用电梯未经定期检验继续使用", origin_detail="江门市应急管理局移送（江应急移〔2026〕8号）"),
             SHUNDA, TS, ("investigation", "review", "service", "execution"),
             records=(
                 initiation_form("yuzhenyu", "zhangjunjie", "应急管理局移送：在用电梯未经定期检验",
                                 "江门市顺达物流有限公司，法定代表人区顺达", ("有关部门移送材料",)),
                 site(TS, "顺达物流仓库1号货梯", "区顺达",
                      "1号货梯检验合格标志有效期至2026年6月，未申请定期检验仍在使用",
                      "区顺达"),
                 preservation(TS, "电梯未经定期检验继续使用，存在安全隐患", "1号载货电梯（额定载重2000kg）一台", "查封",
                              "顺达物流仓库", "区顺达"),
                 *general("yuzhenyu", "zhangjunjie", "区顺达", "江市监强决〔2026〕5号",
                          "当事人在用电梯未经定期检验继续使用", "对1号载货电梯予以查封，期限三十日",
                          "《中华人民共和国特种设备安全法》第五十七条、第六十一条"),
                 _serve("江市监强决〔2026〕5号 行政强制措施决定书", SHUNDA, "张俊杰"),
                 fulfilment("yuzhenyu", "全部履行", "查封期间电梯停止使用，当事人已申请定期检验"))),
    DemoCase("SPK", _d("licensing", "application", "江门市麦香烘焙坊食品经营许可", "申请食品经营许可（热食类食品制售）",
                       origin_detail="受理编号 JY2026-0417"),
             MAIXIANG, ("officer2", "dengzhihua"),
             records=(receipt("江门市麦香烘焙坊", "麦小梅", "officer2", "食品经营许可申请书、营业执照复印件", "需补正",
                              "JY2026-0417"),)),
    DemoCase("ZFZD", _d("adjudication", "application", "江门市新会区美嘉家具有限公司专利侵权纠纷行政裁决",
                        "请求认定被请求人生产的沙发侵犯外观设计专利权"),
             MEIJIA, ZD, ("investigation",), records=(rights("tanmeiling", "谭美嘉", hearing=True),)),
    DemoCase("SPK", _d("registration", "application", "江门市蓬江区阿婆手工粉作坊食品小作坊登记",
                       "申请食品小作坊登记"),
             APO, ("officer2",),
             records=(receipt("江门市蓬江区阿婆手工粉作坊", "何阿婆", "officer2", "食品小作坊登记申请表、场所平面图",
                              number="XZF2026-031"),)),
    DemoCase("HSJD", _d("confirmation", "assignment", "环市街道某某商铺经营场所安全状况确认",
                        "上级交办：核实经营场所安全状况", origin_detail="市局交办单 江市监办〔2026〕15号"),
             _org("江门市蓬江区惠民百货商店", "92440703MA4T6C1H5", "冯惠民", "江门市蓬江区环市一路9号"),
             ("fengjiaxin",)),  # 甄文杰 has no certificate: this case cannot start investigating (Art. 5)
    DemoCase("ZFJCK", _d("penalty", "complaint", "匿名举报某某药店无证经营案", "举报称某药店无证经营",
                         complainant_real_name=False),
             _org("江门市百姓大药房有限公司", "91440700MA4W8Q3T6", "周百姓", "江门市蓬江区跃进路21号"),
             ("officer", "unithead"), close="经现场核查，该药店持有有效许可证，举报事项不属实，不予立案"),
]

# ---- cases added for the whole matrix --------------------------------------------------------

XINHUI = _org("江门市新会区鑫辉五金制品有限公司", "91440705MA54QW7E3", "苏鑫辉", "江门市新会区今洲路66号")
HONGXING = _org("江门市鸿兴食品有限公司", "91440703MA55RT2Y6", "卢鸿兴", "江门市蓬江区杜阮镇龙榜路8号")
JIAHE = _org("江门市佳和物业管理有限公司", "91440704MA56LP3U9", "林佳和", "江门市江海区金瓯路18号")
JINSHAN = _org("江门市金山锅炉安装有限公司", "91440704MA57KN5J1", "陈金山", "江门市江海区滘头工业区3号")
HAOYUN = _org("江门市好运来超市有限公司", "91440703MA58JM8P4", "何好运", "江门市蓬江区发展大道123号")
FUHUA = _org("江门市富华电梯维保有限公司", "91440703MA59HB1P7", "郑富华", "江门市蓬江区白沙大道东9号")
LVYUAN = _org("江门市绿源农产品有限公司", "91440705MA5AGW4A0", "黄绿源", "江门市新会区大泽镇五和路2号")
XINGGUANG = _org("江门市星光眼镜店", "92440703MA4Y8C6T5", "邝星光", "江门市蓬江区常安路41号")
HUAMEI = _org("江门市华美包装材料有限公司", "91440705MA5BFX7D2", "吴华美", "江门市新会区睦洲镇工业大道6号")
MINGDA = _org("江门市明达汽车销售服务有限公司", "91440704MA5CDY9F8", "杨明达", "江门市江海区东海路88号")
JIAJIA = _org("江门市家家乐连锁便利店有限公司", "91440703MA5DCA2G3", "梁家乐", "江门市蓬江区迎宾大道中152号")
SHENGSHI = _org("江门市盛世装饰工程有限公司", "91440703MA5EBC4H9", "区盛世", "江门市蓬江区建设二路16号")
XIAOCHEN = PartyInput(kind="citizen", name="陈小明", id_number=id_number("44070219900315123"),
                      address="江门市蓬江区北街菜市场8号档", phone="13902223456")
HEFENG = _org("江门市和丰粮油贸易有限公司", "91440703MA5FAD6J4", "甘和丰", "江门市蓬江区棠下镇堡棠路5号")
TIANYI = _org("江门市天一电梯工程有限公司", "91440704MA5GYE8K0", "麦天一", "江门市江海区礼乐街道新民路7号")
KANGLE = _org("江门市康乐药业连锁有限公司", "91440703MA5HYF1L6", "罗康乐", "江门市蓬江区港口一路10号")
JINHUA = _org("江门市金华食品厂", "92440703MA4QX2M15", "邓金华", "江门市蓬江区荷塘镇塔岗村12号")
MEILI = _org("江门市美丽人生美容有限公司", "91440703MA5JWG3M2", "冯美丽", "江门市蓬江区万达广场3栋201")
DAHUA = _org("江门市大华建材有限公司", "91440705MA5KWH5N8", "梁大华", "江门市新会区崖门镇京梅村")
HONGYUAN = _org("江门市宏远灯饰有限公司", "91440703MA5MTK9Q4", "周宏远", "江门市蓬江区白石大道166号")
HUANYU = _org("江门市寰宇网络科技有限公司", "91440703MA5LUJ7P3", "何寰宇", "江门市蓬江区丰乐路22号")

MORE: list[DemoCase] = [
    # --- complete and correct -------------------------------------------------------------------
    DemoCase("ZFJCK", _d("penalty", "inspection", "江门市鑫辉五金制品有限公司生产不合格产品案",
                         "监督抽查发现当事人生产的插座不合格"),
             XINHUI, ZF, ("investigation", "review", "service", "execution", "archive"),
             records=(
                 initiation_form("officer", "unithead", "产品质量监督抽查发现插座不合格（检验报告JM2026-1133）",
                                 "江门市新会区鑫辉五金制品有限公司，法定代表人苏鑫辉", ("监督检查报告",)),
                 site(ZF, "鑫辉五金生产车间及成品仓", "苏鑫辉\n仓管员李某", "成品仓存放同批次插座320个", "苏鑫辉"),
                 inquiry(ZF, "江门市市场监督管理局询问室", "苏鑫辉",
                         "问：该批次插座共生产多少？\n答：共生产1000个，已售出680个。"),
                 *general("officer", "unithead", "苏鑫辉", "江市监处罚〔2026〕21号",
                          "当事人生产不合格插座1000个，货值1.2万元",
                          "没收不合格插座320个，罚款人民币三万元", "《中华人民共和国产品质量法》第四十九条"),
                 _serve("江市监处罚〔2026〕21号 行政处罚决定书", XINHUI, "陈志强"),
                 fulfilment("officer", "全部履行", "当事人已于期限内缴纳罚款，不合格插座已没收"))),
    DemoCase("SPK", _d("licensing", "application", "江门市鸿兴食品有限公司食品生产许可", "申请食品生产许可（糕点类）",
                       origin_detail="受理编号 SC2026-0088"),
             HONGXING, SP, ("investigation", "review", "service", "execution", "archive"),
             records=(
                 receipt("江门市鸿兴食品有限公司", "卢鸿兴", "dengzhihua",
                         "食品生产许可申请书、生产场所平面图、设备清单",
                         number="SC2026-0088"),
                 site(SP, "鸿兴食品生产车间", "卢鸿兴",
                      "生产场所、设备布局与申请材料一致，符合糕点生产许可审查细则", "卢鸿兴"),
                 *general("huangxiaofang", "dengzhihua", "卢鸿兴", "江市监许〔2026〕88号", "申请人生产条件符合要求",
                          "准予食品生产许可（糕点类）", "《中华人民共和国食品安全法》第三十五条"),
                 _serve("江市监许〔2026〕88号 准予行政许可决定书", HONGXING, "邓志华"),
                 fulfilment("huangxiaofang", "全部履行", "许可证已领取"))),
    DemoCase("TSK", _d("inspection", "inspection", "江门市佳和物业管理有限公司电梯安全监督检查",
                       "在用电梯安全监督检查"),
             JIAHE, TS, ("investigation", "review", "service", "execution"),
             records=(
                 initiation_form("yuzhenyu", "zhangjunjie", "按特种设备安全监督检查计划检查在用电梯",
                                 "江门市佳和物业管理有限公司，法定代表人林佳和", ("监督检查报告",)),
                 site(TS, "佳和花园3栋电梯机房", "林佳和\n维保人员", "3号电梯维保记录缺少两次", "林佳和"),
                 *general("yuzhenyu", "zhangjunjie", "林佳和", "江市监检决〔2026〕12号", "3号电梯维保记录不全",
                          "责令十五日内补全维保记录并整改", "《中华人民共和国特种设备安全法》第四十五条",
                          rights_notice=False, review=False, correction_deadline=IN_15_DAYS),
                 _serve("江市监检决〔2026〕12号 责令改正决定书", JIAHE, "张俊杰"),
                 fulfilment("yuzhenyu", "全部履行", "当事人已按期补全维保记录"),
                 DemoRecord("correction_check", "execution",
                            {"deadline": IN_15_DAYS, "checked_at": NOW, "result": "已改正",
                             "findings": "复查维保记录已补全，电梯运行正常"},
                            officers=TS, signers=(("officer", "yuzhenyu"), ("officer", "zhangjunjie"),
                                                  ("party", "林佳和"))))),
    DemoCase("ZFZD", _d("adjudication", "application", "江门市金山锅炉安装有限公司商标侵权纠纷行政裁决",
                        "请求处理被请求人使用近似商标的侵权纠纷"),
             JINSHAN, ZD, ("investigation", "review", "service", "execution", "archive"),
             records=(
                 receipt("江门市金山锅炉安装有限公司", "陈金山", "tanmeiling", "裁决申请书、商标注册证、侵权证据"),
                 site(ZD, "被请求人展厅", "陈金山", "展厅陈列锅炉铭牌使用近似商标", "陈金山"),
                 *general("tanmeiling", "liangjiawei", "陈金山", "江市监裁〔2026〕3号", "被请求人使用近似商标",
                          "认定侵权成立，责令立即停止侵权行为", "《中华人民共和国商标法》第六十条"),
                 _serve("江市监裁〔2026〕3号 行政裁决书", JINSHAN, "谭美玲"),
                 fulfilment("tanmeiling", "全部履行", "被请求人已停止使用并拆除铭牌"))),
    DemoCase("ZFZD", _d("confirmation", "application", "江门市好运来超市有限公司计量器具检定结果确认",
                        "申请确认电子计价秤检定结果"),
             HAOYUN, ZD, ("investigation", "review", "service", "execution", "archive"),
             records=(
                 receipt("江门市好运来超市有限公司", "何好运", "tanmeiling", "确认申请书、检定证书"),
                 site(ZD, "好运来超市生鲜区", "何好运", "电子计价秤12台，检定标识齐全", "何好运"),
                 *general("tanmeiling", "liangjiawei", "何好运", "江市监确〔2026〕9号", "计价秤检定结果有效",
                          "确认12台电子计价秤检定合格", "《中华人民共和国计量法》第九条",
                          rights_notice=False, review=False, final=False),
                 DemoRecord("service_electronic", "service",
                            {"document": "江市监确〔2026〕9号 行政确认书", "consent": True, "method": "电子邮件",
                             "address": "haoyun@example.com", "served_at": NOW, "receipt_confirmed": True},
                            scan=True, signers=(("server", "谭美玲"),)),
                 fulfilment("tanmeiling", "全部履行", "确认书已送达"))),
    DemoCase("SPK", _d("registration", "application", "江门市绿源农产品有限公司食品小作坊变更登记",
                       "申请食品小作坊登记事项变更"),
             LVYUAN, SP, ("investigation", "review", "service", "execution", "archive"),
             records=(
                 receipt("江门市绿源农产品有限公司", "黄绿源", "dengzhihua", "变更登记申请表、新场所证明"),
                 site(SP, "绿源新生产场所", "黄绿源", "新场所布局符合小作坊条件", "黄绿源"),
                 *general("huangxiaofang", "dengzhihua", "黄绿源", "江市监登〔2026〕17号", "变更后场所符合条件",
                          "准予变更登记", "《广东省食品生产加工小作坊和食品摊贩管理条例》第十四条",
                          rights_notice=False, review=False, final=False),
                 _serve("江市监登〔2026〕17号 登记决定书", LVYUAN, "邓志华"),
                 fulfilment("huangxiaofang", "全部履行", "登记证已换发"))),
    DemoCase("ZFJCK", _d("penalty", "referral", "江门市星光眼镜店涉嫌销售无证眼镜案", "公安机关移送线索",
                         origin_detail="江门市公安局蓬江分局移送（江公蓬移〔2026〕4号）"),
             XINGGUANG, ZF, initiation_pending=True),
    DemoCase("ZFJCK", _d("penalty", "complaint", "消费者张先生投诉某某奶茶店缺斤少两不予立案", "投诉称奶茶店缺斤少两",
                         complainant_real_name=True, complainant_name="张先生", complainant_contact="13702224567"),
             _org("江门市蓬江区茶语奶茶店", "92440703MA4R1D7K9", "何茶语", "江门市蓬江区胜利路30号"), ZF,
             close="经核查，该店计量器具检定合格，投诉事项不属实，不予立案",
             records=(DemoRecord("complainant_notification", "initiation",
                                 {"complainant": "张先生", "notified_at": NOW, "method": "电话告知",
                                  "reason": "经现场核查，计量器具检定合格，未发现缺斤少两",
                                  "content": "告知不予立案的结果及理由"},
                                 signers=(("officer", "officer"),)),)),
    DemoCase("ZFZD", _d("adjudication", "application", "江门市宏远灯饰有限公司外观设计专利侵权纠纷行政裁决",
                        "请求认定被请求人销售的吊灯侵犯外观设计专利权"),
             HONGYUAN, ZD, ("investigation", "review"),
             records=(
                 receipt("江门市宏远灯饰有限公司", "周宏远", "tanmeiling", "裁决申请书、专利证书、购买凭证"),
                 rights("tanmeiling", "周宏远", hearing=True),
                 inquiry(ZD, "江门市市场监督管理局询问室", "周宏远",
                         "问：你方何时发现被请求人销售涉案吊灯？\n答：今年十月在其门店发现。"),
                 legal_review(advice="建议组织双方听证后作出裁决"),
                 decision("江市监裁〔2026〕5号", "被请求人销售的吊灯与涉案外观设计近似",
                          "认定侵权成立，责令停止销售", "《中华人民共和国专利法》第六十五条"))),
    # --- one or two rules broken on purpose -------------------------------------------------------
    DemoCase("ZFZD", _d("penalty", "complaint", "消费者刘女士投诉某某美容院虚假宣传不予立案",
                        "投诉称美容院宣传效果不实", complainant_real_name=True, complainant_name="刘女士",
                        complainant_contact="13602225678"),
             MEILI, ZD, close="宣传内容已于投诉前撤下，违法行为轻微并及时改正，不予立案"),
    DemoCase("ZFJCK", _d("coercion", "referral", "江门市华美包装材料有限公司涉嫌无照经营扣押案",
                         "涉嫌无照生产包装材料", origin_detail="睦洲镇人民政府移送"),
             HUAMEI, ZF, ("investigation",),
             records=(
                 initiation_form("officer", "unithead", "镇政府移送：当事人营业执照已吊销仍在生产",
                                 "江门市华美包装材料有限公司，法定代表人吴华美", ("有关部门移送材料",)),
                 preservation(ZF, "当事人无照生产，相关产品可能被转移", "纸箱成品800个、生产设备1台", "扣押",
                              "江门市市场监督管理局罚没物品仓库", "吴华美", photo=False,
                              waiver="现场光线不足，执法记录仪无法拍摄"),
                 rights("officer", "吴华美"))),
    DemoCase("TSK", _d("inspection", "inspection", "江门市大华建材有限公司叉车使用安全监督检查",
                       "场（厂）内专用机动车辆安全检查"),
             DAHUA, TS, ("investigation",),
             records=(
                 initiation_form("yuzhenyu", "zhangjunjie", "按监督检查计划检查场内叉车",
                                 "江门市大华建材有限公司，法定代表人梁大华", ("监督检查报告",)),
                 site(TS, "大华建材堆场", "梁大华", "叉车2台，其中1台无使用登记标志", "梁大华", photo=False))),
    DemoCase("ZFJCK", _d("coercion", "inspection", "江门市明达汽车销售服务有限公司销售召回车辆查封案",
                         "涉嫌销售已召回未修复车辆"),
             MINGDA, ZF, ("investigation", "review"),
             records=(
                 initiation_form("officer", "unithead", "缺陷产品召回检查发现展厅车辆未修复",
                                 "江门市明达汽车销售服务有限公司，法定代表人杨明达", ("监督检查报告",)),
                 inquiry(ZF, "明达汽车展厅", "杨明达", "问：展厅3辆车是否已完成召回修复？\n答：尚未修复。",
                         not_shown=("unithead",)),
                 rights("officer", "杨明达"),
                 legal_review(),
                 DemoRecord("expert_argument", "review",
                            {"held_at": NOW, "topic": "涉案车辆缺陷是否危及人身安全",
                             "experts": ["汽车工程专家甲", "汽车工程专家乙"],
                             "opinions": "涉案缺陷可能导致制动失效，危及人身安全，建议立即查封"},
                            signers=(("expert", "汽车工程专家甲"),)),
                 decision("江市监强决〔2026〕11号", "当事人展厅销售已召回未修复车辆3辆",
                          "查封涉案车辆3辆，期限三十日", "《缺陷汽车产品召回管理条例》第二十三条"))),
    DemoCase("ZFJCK", _d("penalty", "inspection", "江门市家家乐连锁便利店有限公司销售过期食品案",
                         "现场检查发现销售过期饮料"),
             JIAJIA, ZF, ("investigation", "review", "service"),
             records=(
                 initiation_form("officer", "unithead", "日常检查发现货架上过期饮料",
                                 "江门市家家乐连锁便利店有限公司，法定代表人梁家乐", ("监督检查报告",)),
                 rights("officer", "梁家乐", stage="review"),
                 legal_review(advice=""),
                 approval("officer", "unithead", "拟作出决定：没收过期饮料，罚款人民币五千元"),
                 decision("江市监处罚〔2026〕35号", "当事人销售过期饮料24瓶", "没收过期饮料，罚款人民币五千元",
                          "《中华人民共和国食品安全法》第一百二十四条"),
                 DemoRecord("service_refusal", "service",
                            {"document": "江市监处罚〔2026〕35号 行政处罚决定书", "refused_at": NOW,
                             "refusal_reason": "当事人称负责人不在，拒绝签收", "left_at_residence": True,
                             "filmed": False},
                            signers=(("server", "陈志强"),)))),
    DemoCase("SPK", _d("licensing", "application", "江门市盛世装饰工程有限公司食品经营许可注销",
                       "申请注销食品经营许可"),
             SHENGSHI, SP, ("investigation", "review", "service"),
             records=(
                 receipt("江门市盛世装饰工程有限公司", "区盛世", "dengzhihua", "注销申请书、许可证正副本"),
                 *general("huangxiaofang", "dengzhihua", "区盛世", "江市监许销〔2026〕6号", "申请人已停止食品经营",
                          "准予注销食品经营许可", "《中华人民共和国行政许可法》第七十条"),
                 DemoRecord("service_public_notice", "service",
                            {"document": "江市监许销〔2026〕6号 准予注销决定书",
                             "failed_attempts": "申请人已搬离原址，电话无法接通",
                             "carrier": "江门市市场监督管理局门户网站及公告栏", "published_at": NOW,
                             "notice_text": "江门市盛世装饰工程有限公司：本局已作出准予注销食品经营许可决定……"},
                            photo=True, signers=(("server", "邓志华"),)))),
    DemoCase("ZFZD", _d("confirmation", "application", "江门市寰宇网络科技有限公司网络交易经营者身份确认",
                        "申请确认网络交易平台经营者身份"),
             HUANYU, ZD, ("investigation", "review", "service"),
             records=(
                 receipt("江门市寰宇网络科技有限公司", "何寰宇", "tanmeiling", "确认申请书、平台备案材料"),
                 *general("tanmeiling", "liangjiawei", "何寰宇", "江市监确〔2026〕14号", "申请人符合平台经营者条件",
                          "确认申请人为网络交易平台经营者", "《中华人民共和国电子商务法》第九条",
                          rights_notice=False, review=False, final=False),
                 DemoRecord("service_electronic", "service",
                            {"document": "江市监确〔2026〕14号 行政确认书", "consent": True, "method": "电子邮件",
                             "address": "legal@huanyu.example.com", "served_at": NOW, "receipt_confirmed": False},
                            signers=(("server", "谭美玲"),)))),
    DemoCase("SPK", _d("registration", "application", "江门市和丰粮油贸易有限公司食品经营备案登记",
                       "申请仅销售预包装食品备案"),
             HEFENG, SP, ("investigation", "review", "service"),
             records=(
                 receipt("江门市和丰粮油贸易有限公司", "甘和丰", "dengzhihua", "备案信息表、营业执照"),
                 *general("huangxiaofang", "dengzhihua", "甘和丰", "江市监登〔2026〕22号", "备案材料齐全",
                          "准予备案登记", "《中华人民共和国食品安全法》第三十五条",
                          rights_notice=False, review=False, final=False),
                 DemoRecord("service_postal", "service",
                            {"document": "江市监登〔2026〕22号 备案登记决定书", "carrier": "挂号信",
                             "tracking_number": "XA120034567CN", "posted_at": NOW, "registration_kept": True,
                             "postage_proof_kept": True, "receipt_returned": False},
                            scan=True, signers=(("server", "邓志华"),)))),
    DemoCase("ZFJCK", _d("coercion", "referral", "江门市康乐药业连锁有限公司涉嫌销售假药查封案",
                         "涉嫌销售假药", origin_detail="江门市药品检验所移送"),
             KANGLE, ZF, ("investigation", "review", "service"),
             records=(
                 initiation_form("officer", "unithead", "药品检验所移送：抽检药品为假药",
                                 "江门市康乐药业连锁有限公司，法定代表人罗康乐", ("有关部门移送材料",)),
                 preservation(ZF, "涉嫌假药可能继续销售", "某品牌感冒胶囊36盒", "查封", "康乐药业港口店仓库", "罗康乐"),
                 *general("officer", "unithead", "罗康乐", "江市监强决〔2026〕9号", "当事人涉嫌销售假药",
                          "查封涉案感冒胶囊36盒，期限三十日", "《中华人民共和国药品管理法》第一百条",
                          rights_notice=False),
                 _serve("江市监强决〔2026〕9号 查封决定书", KANGLE, "陈志强"),
                 DemoRecord("service_entrusted", "service",
                            {"document": "查封物品清单（江市监强决〔2026〕9号附件）", "mode": "转交送达",
                             "via": "江门市康乐药业连锁有限公司港口店", "reason": "法定代表人出差，由门店转交",
                             "served_at": NOW},
                            signers=(("recipient", "罗康乐"),)))),
    DemoCase("TSK", _d("inspection", "assignment", "江门市天一电梯工程有限公司安装质量专项检查",
                       "上级交办：电梯安装质量专项检查", origin_detail="省局交办单 粤市监特〔2026〕7号"),
             TIANYI, TS, ("investigation", "review", "service"),
             records=(
                 initiation_form("yuzhenyu", "zhangjunjie", "省局交办电梯安装质量专项检查",
                                 "江门市天一电梯工程有限公司，法定代表人麦天一", ("上级机关交办材料",)),
                 site(TS, "天一电梯在建项目", "麦天一", "安装过程资料齐全", "麦天一",
                      photo=False, waiver="在建井道内无法使用执法记录仪，以文字详细记录"),
                 *general("yuzhenyu", "zhangjunjie", "麦天一", "江市监检决〔2026〕15号", "安装质量符合要求",
                          "检查合格，予以通报", "《中华人民共和国特种设备安全法》第五十七条",
                          rights_notice=False, review=False),
                 served("江市监检决〔2026〕15号 检查结果通知书", TIANYI.address, "麦天一", "法定代表人", "张俊杰",
                        recipient_signed=False))),
    DemoCase("TSK", _d("penalty", "inspection", "江门市富华电梯维保有限公司未按规定维保案",
                       "电梯维保单位未按安全技术规范维保"),
             FUHUA, TS, ("investigation", "review", "service", "execution"),
             records=(
                 initiation_form("yuzhenyu", "zhangjunjie", "监督检查发现维保记录造假",
                                 "江门市富华电梯维保有限公司，法定代表人郑富华", ("监督检查报告",)),
                 *general("yuzhenyu", "zhangjunjie", "郑富华", "江市监处罚〔2026〕41号", "当事人未按规范进行维保",
                          "责令改正，罚款人民币一万元", "《中华人民共和国特种设备安全法》第八十八条",
                          correction_deadline=TODAY),
                 _serve("江市监处罚〔2026〕41号 行政处罚决定书", FUHUA, "张俊杰"),
                 fulfilment("yuzhenyu", "部分履行", "罚款已缴纳，整改情况待复查"))),
    DemoCase("ZFJCK", _d("penalty", "inspection", "江门市金华食品厂生产超范围使用添加剂食品案",
                         "抽检发现超范围使用食品添加剂"),
             JINHUA, ZF, ("investigation", "review", "service", "execution"),
             records=(
                 initiation_form("officer", "unithead", "食品安全抽检不合格",
                                 "江门市金华食品厂，经营者邓金华", ("监督检查报告",)),
                 *general("officer", "unithead", "邓金华", "江市监处罚〔2026〕27号", "当事人超范围使用食品添加剂",
                          "罚款人民币五万元", "《中华人民共和国食品安全法》第一百二十四条"),
                 _serve("江市监处罚〔2026〕27号 行政处罚决定书", JINHUA, "陈志强"),
                 fulfilment("officer", "未履行", "当事人逾期未缴纳罚款"),
                 DemoRecord("reminder", "execution",
                            {"document_number": "江市监催〔2026〕2号", "issued_at": NOW,
                             "obligations": "缴纳罚款人民币五万元", "deadline": YESTERDAY,
                             "rights": "当事人有权进行陈述和申辩"},
                            signers=(("agency", "江门市市场监督管理局"),),
                            correction={"obligations": "缴纳罚款人民币五万元及加处罚款"},
                            correction_reason="补充加处罚款金额"),
                 _serve_in_execution("江市监催〔2026〕2号 催告书", JINHUA, "陈志强"),
                 DemoRecord("court_application", "execution",
                            {"court": "江门市蓬江区人民法院", "applied_at": NOW,
                             "document_number": "江市监执申〔2026〕1号",
                             "documents": "强制执行申请书、行政处罚决定书、催告书及送达回证",
                             "party_statement": "当事人未陈述、申辩"},
                            signers=(("agency", "江门市市场监督管理局"),)))),
    DemoCase("ZFJCK", _d("penalty", "inspection", "个体户陈小明占道经营销售未标价商品案", "现场检查发现商品未明码标价",
                         procedure="simplified"),
             XIAOCHEN, ZF, ("review",),
             records=(
                 DemoRecord("simplified_record", "review",
                            {"occurred_at": NOW, "conditions": "违法事实确凿，对公民处以警告，有法定依据",
                             "steps": "出示执法证件，告知违法事实、理由和依据，当场作出警告",
                             "statement": "当事人情绪激动，称其他摊位也未标价", "review": "经复核，申辩理由不成立",
                             "filing": "已报所属行政机关备案", "process": "当事人拒不配合，围观群众较多",
                             "dispute_prone": True},
                            signers=(("officer", "officer"), ("officer", "unithead"), ("party", "陈小明"))),)),
]

#: Every demo case, in the order they are opened (their numbers follow it).
DEMO_CASES: list[DemoCase] = [*FIRST, *MORE]


def _b(*rules: str, why: str) -> Breach:
    return Breach(frozenset(rules), why)


#: The rules each demo case breaks on purpose, by case name; a case not listed has no finding.
BREACHES: dict[str, Breach] = {
    "江门市蓬江区鲜味食品商行销售过期食品案": _b(
        "ART09-EMERGENCY-APPROVAL-24H", "ART09-INITIATION-FORM", "ART13-SIGNATURES", "ART12-RIGHTS-NOTICE",
        why="紧急先行启动，立案审批24小时内尚待补报，启动表尚缺审批人签名；现场检查笔录当事人尚未签名；"
            "权利告知书尚未制作（调查中的待办，阶段清单由此链接到记录表单）"),
    "江门市悦来餐饮管理有限公司食品安全日常监督检查": _b(
        "ART18-DISCUSSION-SIGNED", "ART05-CERTIFIED-HANDLER", "ART20-DECISION-REASONS",
        why="集体讨论记录法制审核员未签名即作出决定，且没有行政执法决定书就进入送达；承办人李晓婷执法证即将到期，"
            "届时持证承办人不足两名"),
    "江门市麦香烘焙坊食品经营许可": _b(
        "ART08-APPLICATION-RECEIPT", why="受理回执载明需补正，但没有一次性补正告知书"),
    "江门市新会区美嘉家具有限公司专利侵权纠纷行政裁决": _b(
        "ART08-APPLICATION-RECEIPT", why="依申请受理后进入调查，却没有申请材料接收凭证（受理回执）"),
    "消费者刘女士投诉某某美容院虚假宣传不予立案": _b(
        "ART10-COMPLAINANT-NOTIFIED", why="实名投诉不予立案，尚未告知投诉人并记录"),
    "江门市华美包装材料有限公司涉嫌无照经营扣押案": _b(
        "ART15-PRESERVATION-AV", why="扣押（证据保全）只有不适宜音像记录的说明，第十五条要求文字和音像记录"),
    "江门市大华建材有限公司叉车使用安全监督检查": _b(
        "ART14-AV-REQUIRED", why="现场检查笔录既未关联同步音像记录，也未说明不适宜的理由"),
    "江门市明达汽车销售服务有限公司销售召回车辆查封案": _b(
        "ART11-OFFICERS-RECORDED", "ART17-EXPERT-MINUTES",
        why="询问笔录未记录黄伟明出示执法证件；专家论证纪要只有一名专家签名"),
    "江门市家家乐连锁便利店有限公司销售过期食品案": _b(
        "ART23-REFUSAL-EVIDENCE", "ART16-LEGAL-REVIEW-RECORDED",
        why="拒收留置送达只有送达人签名，既无见证人签名，也未拍照录像；法制审核意见书没有建议"),
    "江门市盛世装饰工程有限公司食品经营许可注销": _b(
        "ART27-PUBLIC-NOTICE-BASIS", why="未先以其他方式送达即公告送达"),
    "江门市寰宇网络科技有限公司网络交易经营者身份确认": _b(
        "ART24-ELECTRONIC-FINAL-DOC", why="电子邮件送达未确认收悉，也未附送达凭证"),
    "江门市和丰粮油贸易有限公司食品经营备案登记": _b(
        "ART25-POSTAL-PROOF", why="挂号信邮寄送达，回执未收回"),
    "江门市康乐药业连锁有限公司涉嫌销售假药查封案": _b(
        "ART12-RIGHTS-NOTICE", "ART26-ENTRUSTED-REASON",
        why="作出查封决定前没有权利告知书；转交送达的送达回证没有送达人签名"),
    "江门市天一电梯工程有限公司安装质量专项检查": _b(
        "ART21-SERVICE-RECEIPT", why="直接送达的送达回证没有受送达人签名"),
    "江门市富华电梯维保有限公司未按规定维保案": _b(
        "ART28-CORRECTION-CHECK-DUE", why="责令改正期限为今天，尚无复查记录"),
    "江门市金华食品厂生产超范围使用添加剂食品案": _b(
        "ART29-REMINDER-BEFORE-COURT", why="申请法院强制执行后又更正了催告书，申请时所依据的催告书已不是现行版本"),
    "个体户陈小明占道经营销售未标价商品案": _b(
        "ART31-SIMPLIFIED-ITEMS", why="容易引起争议的简易程序执法行为没有音像记录"),
}

#: Case rules of Art. 5–31 that no demo case breaks, because the services refuse the breach
#: before anything is written; the tests demand every other case rule be broken by some case.
UNBREAKABLE: dict[str, str] = {
    # The stage gate refuses review → service without the approved decision approval, and the
    # approval's opinions are stamped with the time they are given: the rule catches data that
    # did not come through the gate (an import, a back-dated approval), which the demo cannot make.
    "ART19-APPROVAL-CHAIN": "审查决定进入送达须决定审批通过（服务层拒绝）",
    # signer_relation is a required choice of exactly the persons Art. 22 names, and any other
    # value is refused at record time (service.signer_not_eligible).
    "ART22-ELIGIBLE-SIGNER": "签收人身份只能从第二十二条所列人员中选择（服务层拒绝）",
}
