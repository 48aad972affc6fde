import type { Rng } from './prng.js';

/**
 * Vocabulary for synthetic reference data: company names built from syllables (so `cnspell`, the
 * pinyin initials, and `enname` follow from the name), regions, industries, fund houses, brokers.
 * Values only, no Tushare column names.
 */

/** [character, pinyin] */
const HEADS: readonly (readonly [string, string])[] = [
  ['华', 'hua'],
  ['中', 'zhong'],
  ['国', 'guo'],
  ['新', 'xin'],
  ['东', 'dong'],
  ['海', 'hai'],
  ['天', 'tian'],
  ['金', 'jin'],
  ['恒', 'heng'],
  ['长', 'chang'],
  ['宏', 'hong'],
  ['永', 'yong'],
  ['康', 'kang'],
  ['泰', 'tai'],
  ['信', 'xin'],
  ['通', 'tong'],
  ['安', 'an'],
  ['润', 'run'],
  ['鑫', 'xin'],
  ['瑞', 'rui'],
  ['嘉', 'jia'],
  ['联', 'lian'],
  ['创', 'chuang'],
  ['远', 'yuan'],
  ['达', 'da'],
  ['明', 'ming'],
  ['光', 'guang'],
  ['盛', 'sheng'],
  ['鼎', 'ding'],
  ['隆', 'long'],
  ['浦', 'pu'],
  ['宁', 'ning'],
];

/** [suffix, pinyin initials, English] */
const TAILS: readonly (readonly [string, string, string])[] = [
  ['科技', 'kj', 'Technology'],
  ['电子', 'dz', 'Electronics'],
  ['医药', 'yy', 'Pharmaceutical'],
  ['股份', 'gf', 'Holdings'],
  ['能源', 'ny', 'Energy'],
  ['材料', 'cl', 'Materials'],
  ['电气', 'dq', 'Electric'],
  ['食品', 'sp', 'Foods'],
  ['化工', 'hg', 'Chemical'],
  ['汽车', 'qc', 'Automotive'],
  ['传媒', 'cm', 'Media'],
  ['环保', 'hb', 'Environmental'],
  ['物流', 'wl', 'Logistics'],
  ['智能', 'zn', 'Intelligent'],
  ['生物', 'sw', 'Biotech'],
  ['精密', 'jm', 'Precision'],
  ['实业', 'sy', 'Industrial'],
  ['通信', 'tx', 'Communications'],
];

export const AREAS = [
  '深圳',
  '北京',
  '上海',
  '浙江',
  '江苏',
  '广东',
  '山东',
  '福建',
  '四川',
  '湖北',
  '湖南',
  '安徽',
  '河南',
  '河北',
  '辽宁',
  '陕西',
  '重庆',
  '天津',
  '江西',
  '云南',
  '广西',
  '吉林',
  '山西',
  '黑龙江',
  '新疆',
  '贵州',
] as const;

export const INDUSTRIES = [
  '银行',
  '证券',
  '保险',
  '软件服务',
  '元器件',
  '半导体',
  '通信设备',
  '化学制药',
  '生物制药',
  '医疗保健',
  '汽车配件',
  '汽车整车',
  '电气设备',
  '专用机械',
  '化工原料',
  '小金属',
  '白酒',
  '食品',
  '家用电器',
  '全国地产',
  '建筑工程',
  '电力',
  '煤炭开采',
  '互联网',
  '影视音像',
  '环境保护',
  '仓储物流',
] as const;

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡'];
const GIVEN = [
  '伟',
  '芳',
  '敏',
  '静',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '涛',
  '明',
  '超',
  '华',
  '平',
];

export interface CompanyName {
  name: string;
  cnspell: string;
  enname: string;
  fullname: string;
}

export function companyName(rng: Rng, area: string): CompanyName {
  const a = rng.pick(HEADS);
  const b = rng.pick(HEADS);
  const [tail, tailSpell, tailEn] = rng.pick(TAILS);
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return {
    name: `${a[0]}${b[0]}${tail}`,
    cnspell: `${a[1].charAt(0)}${b[1].charAt(0)}${tailSpell}`,
    enname: `${cap(a[1])}${b[1]} ${tailEn} Co., Ltd.`,
    fullname: `${area}${a[0]}${b[0]}${tail}股份有限公司`,
  };
}

export function personName(rng: Rng): string {
  return `${rng.pick(SURNAMES)}${rng.pick(GIVEN)}${rng.chance(0.5) ? rng.pick(GIVEN) : ''}`;
}

export const FUND_HOUSES = [
  '华夏基金',
  '易方达基金',
  '南方基金',
  '华泰柏瑞基金',
  '嘉实基金',
  '广发基金',
  '富国基金',
  '国泰基金',
  '博时基金',
  '招商基金',
  '汇添富基金',
  '鹏华基金',
  '银华基金',
  '天弘基金',
  '工银瑞信基金',
] as const;

export const CUSTODIANS = [
  '中国工商银行',
  '中国建设银行',
  '中国银行',
  '中国农业银行',
  '招商银行',
  '交通银行',
  '兴业银行',
  '中信证券',
  '国泰君安证券',
] as const;

/** [theme, fund type, beta to the stock market] */
export const ETF_THEMES: readonly (readonly [string, string, number])[] = [
  ['沪深300', '股票型', 1],
  ['中证500', '股票型', 1.1],
  ['创业板', '股票型', 1.3],
  ['科创50', '股票型', 1.35],
  ['上证50', '股票型', 0.9],
  ['半导体', '股票型', 1.5],
  ['医药', '股票型', 0.9],
  ['证券', '股票型', 1.4],
  ['银行', '股票型', 0.6],
  ['黄金', '商品型', 0.05],
  ['红利', '股票型', 0.7],
  ['消费', '股票型', 1],
  ['新能源车', '股票型', 1.4],
  ['光伏', '股票型', 1.45],
  ['军工', '股票型', 1.2],
  ['酒', '股票型', 1.1],
  ['港股通', 'QDII', 0.5],
  ['纳斯达克100', 'QDII', 0.2],
  ['芯片', '股票型', 1.5],
  ['煤炭', '股票型', 0.8],
  ['中证1000', '股票型', 1.2],
  ['游戏', '股票型', 1.3],
  ['国债', '债券型', 0.02],
  ['中证A500', '股票型', 1],
];

export const FUTURES_BROKERS = [
  '中信期货',
  '国泰君安',
  '永安期货',
  '海通期货',
  '华泰期货',
  '银河期货',
  '东证期货',
  '方正中期',
  '中信建投',
  '光大期货',
  '广发期货',
  '南华期货',
  '招商期货',
  '申银万国',
  '国投安信',
  '中粮期货',
  '五矿期货',
  '新湖期货',
  '浙商期货',
  '宏源期货',
  '建信期货',
  '一德期货',
  '徽商期货',
  '瑞达期货',
  '兴证期货',
  '平安期货',
  '首创期货',
  '金瑞期货',
] as const;

export const WAREHOUSE_CITIES = [
  '上海',
  '天津',
  '青岛',
  '宁波',
  '大连',
  '郑州',
  '广州',
  '常州',
  '无锡',
  '张家港',
  '日照',
  '连云港',
] as const;

export const WAREHOUSE_COMPANIES = ['中储', '国储', '物产', '港务', '嘉里', '中远', '象屿', '建发'] as const;
